//! Differential privacy: exact discrete Gaussian noise and a zCDP accountant.
//!
//! - [`sampler`]: the discrete Gaussian `N_Z(0, sigma^2)` (Canonne-Kamath-Steinke 2020),
//!   exact, driven by the caller's RNG. Contributors to a federated round each add a share
//!   with variance `sigma^2 / n`, so the securely aggregated sum carries variance `sigma^2`
//!   (distributed DP: no party ever sees an un-noised sum).
//! - [`accountant`]: [`Accountant`] records every release against a per-dataset
//!   [`PrivacyBudget`] and refuses (without changing state) a release that would exceed
//!   it. Composition is OpenDP's; the `(epsilon, delta)` of Gaussian releases comes from
//!   the composed Gaussian mechanism's exact curve (zCDP's conversion reports 4-16% more).

pub mod accountant;
pub mod rdp;
pub mod sampler;

pub use accountant::{
    Accountant, Charge, PrivacyBudget, Spent, composed_epsilon, composed_rho, gaussian_delta,
    gaussian_epsilon, noise_multiplier_for, noise_multiplier_sampled, zcdp_epsilon,
};
pub use sampler::DiscreteGaussian;

/// Errors from noise sampling and privacy accounting.
#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// A parameter is out of range.
    #[error("invalid privacy parameter: {0}")]
    Parameter(String),
    /// OpenDP rejected a construction or a map evaluation.
    #[error("OpenDP accounting failed: {0}; check the sensitivity, noise and delta values")]
    OpenDp(String),
    /// The release would exceed the budget; nothing was charged.
    #[error(
        "privacy budget exceeded: this release would bring epsilon to {would_spend:.4} (budget \
         {budget} at delta {delta:e}, {spent:.4} spent so far); nothing was charged — run \
         fewer rounds, raise the noise multiplier, or allocate a larger budget"
    )]
    BudgetExceeded {
        /// Epsilon after the refused release.
        would_spend: f64,
        /// Budget epsilon.
        budget: f64,
        /// Budget delta.
        delta: f64,
        /// Epsilon already spent.
        spent: f64,
    },
}
