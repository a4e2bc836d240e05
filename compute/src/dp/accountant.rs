//! Privacy accounting: composition in zero-concentrated DP with the arithmetic done by
//! OpenDP, and the exact privacy curve of the composed Gaussian mechanism.
//!
//! Every release is recorded as a [`Charge`]. The spent budget is the OpenDP measurement
//! that composes all of them, evaluated at a distance of one record:
//!
//! - a [`Charge::Gaussian`] is an OpenDP `Transformation` with stability map
//!   `d_in -> sensitivity * d_in` (records to the L2 distance of the released integer sum),
//!   chained with `make_gaussian` on integer vectors (`ZeroConcentratedDivergence`), so its
//!   `rho` is OpenDP's `(sensitivity / std)^2 / 2`;
//! - a [`Charge::Rho`] is a measurement whose privacy map is `rho * d_in^2`;
//! - the charges are composed with `make_composition` (rho adds up in zCDP);
//! - when every charge is Gaussian, the composition is itself a Gaussian mechanism whose
//!   sensitivity-to-noise ratio is `mu = sqrt(2 rho)` (Dong, Roth and Su's Gaussian DP;
//!   squared ratios add up), and `(epsilon, delta)` comes from that mechanism's exact
//!   curve (Balle and Wang 2018), [`gaussian_delta`], solved for epsilon by bisection and
//!   rounded up ([`gaussian_epsilon`]: never below the exact value, within 1e-9 of it).
//!   OpenDP's zCDP conversion (`make_zCDP_to_approxDP`, `make_fix_delta`, kept as
//!   [`zcdp_epsilon`] and used when a [`Charge::Rho`] is present) reports 4-16% more for
//!   the same mechanism, which would cost accuracy for nothing.
//!
//! The curve is the continuous Gaussian's; the contributors add discrete Gaussian noise,
//! whose privacy Canonne, Kamath and Steinke show to be essentially that of the
//! continuous Gaussian at these scales (not bounded separately here).
//!
//! OpenDP only does the bookkeeping here: the noise itself is added by the contributors
//! (see [`super::sampler`]), so the measurements' functions are never run on data.

use super::DpError;
use opendp::{
    combinators::{make_chain_mt, make_composition, make_fix_delta, make_zCDP_to_approxDP},
    core::{Function, Measurement, PrivacyMap, StabilityMap, Transformation},
    domains::{AtomDomain, VectorDomain},
    measurements::make_gaussian,
    measures::ZeroConcentratedDivergence,
    metrics::{L2Distance, SymmetricDistance},
};
use serde::{Deserialize, Serialize};

/// A privacy budget in approximate DP: the accountant refuses releases whose composed zCDP
/// cost converts to more than `epsilon` at this `delta`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacyBudget {
    /// Epsilon (`> 0`).
    pub epsilon: f64,
    /// Delta (in `(0, 1)`).
    pub delta: f64,
}

impl PrivacyBudget {
    fn validate(&self) -> Result<(), DpError> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(DpError::Parameter(format!(
                "budget epsilon must be a positive finite number, got {}",
                self.epsilon
            )));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(DpError::Parameter(format!(
                "budget delta must be in (0, 1), got {}; use e.g. 1e-5 or 1/(10 n)",
                self.delta
            )));
        }
        Ok(())
    }
}

/// One release's privacy cost.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Charge {
    /// A Gaussian (or discrete Gaussian) release: the L2 sensitivity of the released vector
    /// to one record, and the standard deviation of the noise it carries, in the same units.
    Gaussian {
        /// L2 sensitivity to one record.
        sensitivity: f64,
        /// Standard deviation of the (aggregate) noise.
        noise_std: f64,
    },
    /// A release already accounted as `rho`-zCDP for one record.
    Rho(f64),
    /// A Gaussian release over a Poisson sample: each unit of privacy takes part with
    /// probability `rate` (a federated round sampling its contributors). Accounted in Rényi
    /// DP with amplification by sampling ([`super::rdp`]); its zCDP `rho` is the
    /// unsampled Gaussian's (an upper bound: zCDP cannot express the amplification).
    SampledGaussian {
        /// L2 sensitivity to one record.
        sensitivity: f64,
        /// Standard deviation of the (aggregate) noise.
        noise_std: f64,
        /// Probability that a unit of privacy takes part, in `(0, 1]`.
        rate: f64,
    },
}

type Composed = Measurement<
    VectorDomain<AtomDomain<i64>>,
    SymmetricDistance,
    ZeroConcentratedDivergence,
    Vec<Vec<i64>>,
>;
type Space = (VectorDomain<AtomDomain<i64>>, SymmetricDistance);
type Meas = Measurement<
    VectorDomain<AtomDomain<i64>>,
    SymmetricDistance,
    ZeroConcentratedDivergence,
    Vec<i64>,
>;

fn opendp_err(what: &str) -> impl Fn(opendp::error::Error) -> DpError + '_ {
    move |e| DpError::OpenDp(format!("{what}: {e}"))
}

fn space() -> Space {
    (VectorDomain::new(AtomDomain::default()), SymmetricDistance)
}

impl Charge {
    fn check(&self) -> Result<(), DpError> {
        let ok = match *self {
            Charge::Gaussian {
                sensitivity,
                noise_std,
            } => {
                sensitivity.is_finite()
                    && sensitivity >= 0.0
                    && noise_std.is_finite()
                    && noise_std > 0.0
            }
            Charge::Rho(rho) => rho.is_finite() && rho >= 0.0,
            Charge::SampledGaussian {
                sensitivity,
                noise_std,
                rate,
            } => {
                sensitivity.is_finite()
                    && sensitivity > 0.0
                    && noise_std.is_finite()
                    && noise_std > 0.0
                    && rate > 0.0
                    && rate <= 1.0
            }
        };
        if ok {
            Ok(())
        } else {
            Err(DpError::Parameter(format!(
                "invalid charge {self:?}: sensitivity and rho must be finite and >= 0, noise \
                 std finite and > 0"
            )))
        }
    }

    /// The OpenDP measurement this charge stands for (input: one record = distance 1).
    fn measurement(&self) -> Result<Meas, DpError> {
        self.check()?;
        let (domain, metric) = space();
        match *self {
            Charge::Gaussian {
                sensitivity,
                noise_std,
            }
            | Charge::SampledGaussian {
                sensitivity,
                noise_std,
                ..
            } => {
                let sum = Transformation::new(
                    domain.clone(),
                    metric,
                    domain.clone(),
                    L2Distance::<f64>::default(),
                    Function::new(|x: &Vec<i64>| x.clone()),
                    StabilityMap::new(move |d_in: &u32| sensitivity * f64::from(*d_in)),
                )
                .map_err(opendp_err("sum transformation"))?;
                let noise = make_gaussian::<_, _, ZeroConcentratedDivergence>(
                    domain,
                    L2Distance::<f64>::default(),
                    noise_std,
                    None,
                )
                .map_err(opendp_err("make_gaussian"))?;
                make_chain_mt(&noise, &sum).map_err(opendp_err("chain"))
            }
            Charge::Rho(rho) => Measurement::new(
                domain,
                metric,
                ZeroConcentratedDivergence,
                Function::new(|x: &Vec<i64>| x.clone()),
                PrivacyMap::new(move |d_in: &u32| rho * f64::from(*d_in).powi(2)),
            )
            .map_err(opendp_err("rho measurement")),
        }
    }

    /// A Gaussian release over a Poisson sample of `rate` (a plain Gaussian at rate 1).
    pub fn sampled(sensitivity: f64, noise_std: f64, rate: f64) -> Self {
        if rate >= 1.0 {
            Charge::Gaussian {
                sensitivity,
                noise_std,
            }
        } else {
            Charge::SampledGaussian {
                sensitivity,
                noise_std,
                rate,
            }
        }
    }

    /// This charge's Rényi DP at integer order `alpha`.
    fn rdp(&self, alpha: u32) -> Result<f64, DpError> {
        self.check()?;
        match *self {
            Charge::Gaussian {
                sensitivity,
                noise_std,
            } => super::rdp::sampled_gaussian_rdp(1.0, noise_std / sensitivity.max(1e-300), alpha),
            Charge::SampledGaussian {
                sensitivity,
                noise_std,
                rate,
            } => super::rdp::sampled_gaussian_rdp(rate, noise_std / sensitivity, alpha),
            Charge::Rho(rho) => Ok(f64::from(alpha) * rho),
        }
    }

    /// This charge's zCDP cost `rho` for one record, from OpenDP's privacy map.
    pub fn rho(&self) -> Result<f64, DpError> {
        self.measurement()?
            .map(&1)
            .map_err(opendp_err("privacy map"))
    }
}

fn composed(charges: &[Charge]) -> Result<Option<Composed>, DpError> {
    if charges.is_empty() {
        return Ok(None);
    }
    let ms = charges
        .iter()
        .map(Charge::measurement)
        .collect::<Result<Vec<_>, _>>()?;
    make_composition(ms)
        .map(Some)
        .map_err(opendp_err("make_composition"))
}

/// Total zCDP cost of `charges` composed (OpenDP `make_composition`).
pub fn composed_rho(charges: &[Charge]) -> Result<f64, DpError> {
    match composed(charges)? {
        None => Ok(0.0),
        Some(m) => m.map(&1).map_err(opendp_err("composition map")),
    }
}

/// The standard normal distribution function.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The exact privacy curve of a Gaussian mechanism whose sensitivity-to-noise ratio is
/// `mu`: the smallest `delta` for which it is `(epsilon, delta)`-DP (Balle and Wang 2018,
/// Theorem 8): `Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2)`.
pub fn gaussian_delta(mu: f64, epsilon: f64) -> f64 {
    if mu <= 0.0 {
        return 0.0;
    }
    phi(-epsilon / mu + mu / 2.0) - epsilon.exp() * phi(-epsilon / mu - mu / 2.0)
}

/// Largest epsilon this accountant reports (beyond it the noise protects nothing and
/// `e^epsilon` loses precision).
const MAX_EPSILON: f64 = 500.0;

/// The smallest epsilon at which a Gaussian mechanism of ratio `mu` is
/// `(epsilon, delta)`-DP, from its exact curve: bisection to a relative width of 1e-12,
/// the upper end returned, so the value is never below the exact one.
pub fn gaussian_epsilon(mu: f64, delta: f64) -> Result<f64, DpError> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(DpError::Parameter(format!(
            "delta must be in (0, 1), got {delta}"
        )));
    }
    if !(mu.is_finite() && mu >= 0.0) {
        return Err(DpError::Parameter(format!(
            "the Gaussian ratio mu must be finite and >= 0, got {mu}"
        )));
    }
    if gaussian_delta(mu, 0.0) <= delta {
        return Ok(0.0);
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while gaussian_delta(mu, hi) > delta {
        lo = hi;
        hi *= 2.0;
        if hi > MAX_EPSILON {
            return Err(DpError::Parameter(format!(
                "epsilon above {MAX_EPSILON} (mu {mu:.3}): the noise is negligible; raise \
                 the noise multiplier or run fewer rounds"
            )));
        }
    }
    while hi - lo > 1e-12 * hi {
        let mid = 0.5 * (lo + hi);
        if gaussian_delta(mu, mid) > delta {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

/// Smallest epsilon such that `charges` composed are `(epsilon, delta)`-DP: from the exact
/// Gaussian curve when every charge is Gaussian, in Rényi DP when a sampled release is
/// among them, otherwise by OpenDP's zCDP conversion.
pub fn composed_epsilon(charges: &[Charge], delta: f64) -> Result<f64, DpError> {
    if charges.is_empty() {
        return Ok(0.0);
    }
    if charges.iter().all(|c| matches!(c, Charge::Gaussian { .. })) {
        // Gaussian releases compose to one Gaussian mechanism: mu^2 = 2 rho adds up.
        let mu = (2.0 * composed_rho(charges)?).sqrt();
        return gaussian_epsilon(mu, delta);
    }
    if charges
        .iter()
        .any(|c| matches!(c, Charge::SampledGaussian { .. }))
    {
        // Equal charges (a job's rounds) are evaluated once, times their count.
        let mut distinct: Vec<(Charge, f64)> = Vec::new();
        for c in charges {
            match distinct.iter_mut().find(|(d, _)| d == c) {
                Some((_, n)) => *n += 1.0,
                None => distinct.push((*c, 1.0)),
            }
        }
        return super::rdp::rdp_to_epsilon(
            |alpha| distinct.iter().map(|(c, n)| Ok(n * c.rdp(alpha)?)).sum(),
            delta,
        );
    }
    zcdp_epsilon(charges, delta)
}

/// Epsilon of `charges` composed in zCDP and converted to `(epsilon, delta)` (OpenDP
/// `make_zCDP_to_approxDP` then `make_fix_delta`): an upper bound for any zCDP release,
/// looser than [`gaussian_epsilon`] for Gaussian ones.
pub fn zcdp_epsilon(charges: &[Charge], delta: f64) -> Result<f64, DpError> {
    let Some(m) = composed(charges)? else {
        return Ok(0.0);
    };
    let approx = make_zCDP_to_approxDP(m).map_err(opendp_err("make_zCDP_to_approxDP"))?;
    let fixed = make_fix_delta(&approx, delta).map_err(opendp_err("make_fix_delta"))?;
    let (epsilon, _) = fixed.map(&1).map_err(opendp_err("fixed-delta map"))?;
    Ok(epsilon)
}

/// What a charge did to the budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    /// Composed rho after the charge.
    pub rho: f64,
    /// Epsilon spent at the budget's delta after the charge.
    pub epsilon: f64,
}

/// A per-dataset privacy accountant: the budget and every release charged against it.
/// Serialisable, so a node can persist it next to the dataset it protects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accountant {
    budget: PrivacyBudget,
    charges: Vec<Charge>,
}

impl Accountant {
    /// A fresh accountant.
    pub fn new(budget: PrivacyBudget) -> Result<Self, DpError> {
        budget.validate()?;
        Ok(Self {
            budget,
            charges: Vec::new(),
        })
    }

    /// The budget.
    pub fn budget(&self) -> PrivacyBudget {
        self.budget
    }

    /// Replaces the budget (an operator changed it), keeping every charge.
    pub fn set_budget(&mut self, budget: PrivacyBudget) -> Result<(), DpError> {
        budget.validate()?;
        self.budget = budget;
        Ok(())
    }

    /// Releases charged so far.
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// What has been spent so far.
    pub fn spent(&self) -> Result<Spent, DpError> {
        Ok(Spent {
            rho: composed_rho(&self.charges)?,
            epsilon: composed_epsilon(&self.charges, self.budget.delta)?,
        })
    }

    /// What would be spent if `charge` were added, without adding it.
    pub fn preview(&self, charge: Charge) -> Result<Spent, DpError> {
        let mut all = self.charges.clone();
        all.push(charge);
        Ok(Spent {
            rho: composed_rho(&all)?,
            epsilon: composed_epsilon(&all, self.budget.delta)?,
        })
    }

    /// What would be spent if `charge` were added, or [`DpError::BudgetExceeded`] if that
    /// exceeds the budget. Records nothing either way.
    pub fn check(&self, charge: Charge) -> Result<Spent, DpError> {
        let after = self.preview(charge)?;
        if after.epsilon > self.budget.epsilon {
            return Err(DpError::BudgetExceeded {
                would_spend: after.epsilon,
                budget: self.budget.epsilon,
                delta: self.budget.delta,
                spent: composed_epsilon(&self.charges, self.budget.delta)?,
            });
        }
        Ok(after)
    }

    /// Records `charge` if the composed cost stays within the budget. Otherwise returns
    /// [`DpError::BudgetExceeded`] and records nothing.
    pub fn charge(&mut self, charge: Charge) -> Result<Spent, DpError> {
        let after = self.check(charge)?;
        self.charges.push(charge);
        Ok(after)
    }

    /// Records every one of `charges` if, composed with what was spent, they stay within
    /// the budget; otherwise [`DpError::BudgetExceeded`] and nothing is recorded. One
    /// composition for all of them (a many-round job charged at once).
    pub fn charge_all(&mut self, charges: &[Charge]) -> Result<Spent, DpError> {
        let before = composed_epsilon(&self.charges, self.budget.delta)?;
        let mut all = self.charges.clone();
        all.extend_from_slice(charges);
        let after = Spent {
            rho: composed_rho(&all)?,
            epsilon: composed_epsilon(&all, self.budget.delta)?,
        };
        if after.epsilon > self.budget.epsilon {
            return Err(DpError::BudgetExceeded {
                would_spend: after.epsilon,
                budget: self.budget.epsilon,
                delta: self.budget.delta,
                spent: before,
            });
        }
        self.charges = all;
        Ok(after)
    }

    /// Takes back `charges` recorded earlier (one recorded occurrence each) for releases
    /// that never happened; `false`, changing nothing, if any is not recorded.
    pub fn release(&mut self, charges: &[Charge]) -> bool {
        let mut left = self.charges.clone();
        for c in charges {
            match left.iter().rposition(|x| x == c) {
                Some(i) => {
                    left.remove(i);
                }
                None => return false,
            }
        }
        self.charges = left;
        true
    }

    /// Charges a release already expressed as `rho`-zCDP.
    pub fn charge_rho(&mut self, rho: f64) -> Result<Spent, DpError> {
        self.charge(Charge::Rho(rho))
    }
}

/// The smallest noise multiplier `z` (noise std divided by sensitivity) such that `rounds`
/// Gaussian releases compose to at most `budget` (found by bisection on OpenDP's
/// accounting, to a relative precision of 1e-4; the result is rounded up).
pub fn noise_multiplier_for(budget: PrivacyBudget, rounds: usize) -> Result<f64, DpError> {
    noise_multiplier_sampled(budget, rounds, 1.0)
}

/// The smallest noise multiplier `z` such that `rounds` Gaussian releases, each over a
/// Poisson sample of `rate`, compose to at most `budget` (as [`noise_multiplier_for`];
/// Rényi DP with amplification when `rate < 1`).
pub fn noise_multiplier_sampled(
    budget: PrivacyBudget,
    rounds: usize,
    rate: f64,
) -> Result<f64, DpError> {
    budget.validate()?;
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(DpError::Parameter(format!(
            "the sampling rate must be in (0, 1], got {rate}"
        )));
    }
    if rounds == 0 {
        return Err(DpError::Parameter(
            "rounds must be at least 1 to calibrate noise".into(),
        ));
    }
    let eps = |z: f64| {
        // All rounds cost the same: compose `rounds` copies.
        composed_epsilon(&vec![Charge::sampled(1.0, z, rate); rounds], budget.delta)
    };
    let (mut lo, mut hi) = (1e-3, 1.0);
    while eps(hi)? > budget.epsilon {
        lo = hi;
        hi *= 2.0;
        if hi > 1e7 {
            return Err(DpError::Parameter(format!(
                "no noise multiplier below 1e7 fits {rounds} rounds in epsilon {}; raise \
                 the budget or run fewer rounds",
                budget.epsilon
            )));
        }
    }
    while (hi - lo) / hi > 1e-4 {
        let mid = 0.5 * (lo + hi);
        if eps(mid)? > budget.epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opendp_gaussian_reference_value_and_the_exact_curve_below_it() {
        // OpenDP's documented example: Gaussian scale 4, sensitivity 1 -> rho 1/32 ->
        // epsilon 0.6880 at delta 1e-3 through zCDP.
        let c = Charge::Gaussian {
            sensitivity: 1.0,
            noise_std: 4.0,
        };
        assert!((c.rho().expect("rho") - 1.0 / 32.0).abs() < 1e-12);
        let zcdp = zcdp_epsilon(&[c], 1e-3).expect("eps");
        assert!((zcdp - 0.6880).abs() < 5e-5, "epsilon {zcdp}");
        // The same mechanism's exact curve (mu = 1/4), computed independently with
        // Python's math.erfc and bisection: 0.592006718...
        let eps = composed_epsilon(&[c], 1e-3).expect("eps");
        assert!((eps - 0.592_006_718).abs() < 1e-8, "epsilon {eps}");
        let mut acc = Accountant::new(PrivacyBudget {
            epsilon: 1.0,
            delta: 1e-3,
        })
        .expect("budget");
        let spent = acc.charge(c).expect("fits");
        assert_eq!(spent.epsilon, eps);
        // A zCDP-only charge in the mix: the conversion that holds for any zCDP release.
        let mixed = composed_epsilon(&[c, Charge::Rho(0.0)], 1e-3).expect("eps");
        assert!((mixed - zcdp).abs() < 1e-12);
    }

    #[test]
    fn reported_epsilon_is_never_below_the_exact_curve_and_within_one_percent() {
        // (noise multiplier, rounds, delta) and the exact epsilon computed independently
        // (Python, math.erfc, bisection to 200 steps).
        let sets = [
            (4.0, 1, 1e-3, 0.592_006_718_362_129_4),
            (1.0, 50, 1e-5, 54.376_639_014_985_63),
            (2.0, 100, 1e-5, 33.103_732_335_922_466),
            (0.8, 10, 1e-6, 25.947_734_962_713_685),
            (5.0, 1000, 1e-5, 46.211_210_191_218_09),
        ];
        for (z, rounds, delta, exact) in sets {
            let charges = vec![
                Charge::Gaussian {
                    sensitivity: 1.0,
                    noise_std: z,
                };
                rounds
            ];
            let eps = composed_epsilon(&charges, delta).expect("eps");
            let mu = (rounds as f64).sqrt() / z;
            assert!(
                gaussian_delta(mu, eps) <= delta,
                "{z} {rounds}: below the curve"
            );
            assert!(
                gaussian_delta(mu, eps * 0.99) > delta,
                "{z} {rounds}: more than 1% above"
            );
            assert!(
                eps >= exact * (1.0 - 1e-9) && eps <= exact * (1.0 + 1e-6),
                "{eps} vs {exact}"
            );
            let zcdp = zcdp_epsilon(&charges, delta).expect("zcdp");
            assert!(zcdp > eps, "zCDP {zcdp} is looser than the exact {eps}");
        }
        assert_eq!(gaussian_epsilon(0.0, 1e-5).expect("no release"), 0.0);
        assert!(gaussian_epsilon(1.0, 0.0).is_err());
        assert!(
            gaussian_epsilon(200.0, 1e-5).is_err(),
            "negligible noise is refused"
        );
    }

    #[test]
    fn rho_composes_additively_and_sensitivity_scales() {
        let c = Charge::Gaussian {
            sensitivity: 3.0,
            noise_std: 6.0,
        };
        let rho = composed_rho(&[c, c, Charge::Rho(0.25)]).expect("rho");
        assert!((rho - (2.0 * 0.125 + 0.25)).abs() < 1e-12, "{rho}");
    }

    #[test]
    fn budget_refuses_the_round_that_would_exceed_it_and_changes_nothing() {
        let budget = PrivacyBudget {
            epsilon: 3.0,
            delta: 1e-5,
        };
        let mut acc = Accountant::new(budget).expect("budget");
        let round = Charge::Gaussian {
            sensitivity: 1.0,
            noise_std: 8.0,
        };
        let mut accepted = 0;
        let err = loop {
            match acc.charge(round) {
                Ok(s) => {
                    assert!(s.epsilon <= 3.0);
                    accepted += 1;
                }
                Err(e) => break e,
            }
        };
        assert!(accepted > 0);
        let before = acc.clone();
        let spent = acc.spent().expect("spent");
        assert!(matches!(err, DpError::BudgetExceeded { .. }));
        assert!(err.to_string().contains("fewer rounds"), "{err}");
        // Refused again: still nothing recorded.
        assert!(acc.charge(round).is_err());
        assert_eq!(acc, before);
        assert_eq!(acc.charges().len(), accepted);
        assert_eq!(acc.spent().expect("spent"), spent);
        assert!(acc.preview(round).expect("preview").epsilon > 3.0);
    }

    #[test]
    fn released_charges_leave_the_rest_exactly_as_charged() {
        let budget = PrivacyBudget {
            epsilon: 10.0,
            delta: 1e-5,
        };
        let (a, b) = (
            Charge::sampled(1.0, 3.0, 1.0),
            Charge::sampled(1.0, 5.0, 1.0),
        );
        let mut acc = Accountant::new(budget).expect("budget");
        acc.charge(a).expect("a");
        let only_a = acc.spent().expect("spent");
        acc.charge(b).expect("b");
        acc.charge(b).expect("b");
        assert!(acc.release(&[b, b]));
        assert_eq!(acc.spent().expect("spent"), only_a);
        // Nothing changes when a charge was never recorded.
        assert!(!acc.release(&[a, b]));
        assert_eq!(acc.charges(), &[a]);
    }

    #[test]
    fn sampled_rounds_compose_in_renyi_dp_below_the_unsampled_curve() {
        let rounds = |rate| vec![Charge::sampled(1.0, 2.0, rate); 50];
        let full = composed_epsilon(&rounds(1.0), 1e-5).expect("eps");
        let sampled = composed_epsilon(&rounds(0.1), 1e-5).expect("eps");
        assert!(sampled < full / 3.0, "{sampled} vs {full}");
        // Mixed with a plain Gaussian release, the total stays above each part.
        let mut mixed = rounds(0.1);
        mixed.push(Charge::sampled(1.0, 2.0, 1.0));
        let both = composed_epsilon(&mixed, 1e-5).expect("eps");
        assert!(both > sampled && both > composed_epsilon(&mixed[50..], 1e-5).expect("eps"));
        // zCDP cannot express the amplification: rho is the unsampled one.
        assert_eq!(
            rounds(0.1)[0].rho().expect("rho"),
            rounds(1.0)[0].rho().expect("rho")
        );
    }

    #[test]
    fn calibrated_noise_multiplier_spends_the_budget() {
        let budget = PrivacyBudget {
            epsilon: 3.0,
            delta: 1e-5,
        };
        let z = noise_multiplier_for(budget, 50).expect("z");
        let at = |z: f64| {
            composed_epsilon(
                &vec![
                    Charge::Gaussian {
                        sensitivity: 1.0,
                        noise_std: z,
                    };
                    50
                ],
                1e-5,
            )
            .expect("eps")
        };
        assert!(at(z) <= 3.0);
        assert!(at(z * 0.999) > 3.0);
        assert!(
            Accountant::new(PrivacyBudget {
                epsilon: 1.0,
                delta: 0.0
            })
            .is_err()
        );
    }
}
