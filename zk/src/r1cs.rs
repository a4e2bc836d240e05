//! The small R1CS builder Arcanum's circuits are written against.
//!
//! A circuit is written once, as a function of a [`Builder`], and runs on two back ends:
//!
//! - **constraints**: every variable and constraint goes to an arkworks
//!   [`ConstraintSystemRef`]: used for the Groth16 setup, for the constraint matrices a
//!   prover caches, and for satisfiability checks in tests;
//! - **witness only**: nothing symbolic is built; the builder records the values of the
//!   variables in allocation order, which is exactly the assignment vector Groth16 needs
//!   when it proves from cached matrices. Equalities are checked on values, so a wrong
//!   statement fails here before any proving work.
//!
//! Linear combinations are free (they never allocate); only [`Builder::mul`] adds a
//! variable and a constraint, and products with a constant fold into linear combinations.

use crate::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// A value in a circuit: its assignment and, on the constraints back end, the linear
/// combination of variables that carries it.
#[derive(Clone, Debug)]
pub struct Sig {
    value: Fr,
    /// Sorted by variable, no zero coefficients, never `Variable::One`.
    terms: Vec<(Variable, Fr)>,
    /// The constant term; tracked only for constants and on the constraints back end
    /// (witness-only values never become linear combinations).
    constant: Fr,
    is_constant: bool,
    /// Built on the constraints back end (from a variable).
    symbolic: bool,
}

impl Sig {
    /// A constant (costs nothing anywhere).
    pub fn constant(c: Fr) -> Self {
        Self {
            value: c,
            terms: Vec::new(),
            constant: c,
            is_constant: true,
            symbolic: false,
        }
    }

    /// The zero constant.
    pub fn zero() -> Self {
        Self::constant(Fr::zero())
    }

    /// The assigned value (meaningless during setup, where witnesses are blank).
    pub fn value(&self) -> Fr {
        self.value
    }

    /// Whether this is a known constant.
    pub fn is_constant(&self) -> bool {
        self.is_constant
    }

    fn var(value: Fr, var: Option<Variable>) -> Self {
        Self {
            value,
            terms: var.map(|v| vec![(v, Fr::one())]).unwrap_or_default(),
            constant: Fr::zero(),
            is_constant: false,
            symbolic: var.is_some(),
        }
    }

    /// `sum_i c_i * s_i`.
    pub fn lincomb<'a>(parts: impl IntoIterator<Item = (Fr, &'a Sig)>) -> Sig {
        let mut value = Fr::zero();
        let mut constant = Fr::zero();
        let mut is_constant = true;
        let mut symbolic = false;
        let mut terms: Vec<(Variable, Fr)> = Vec::new();
        for (c, s) in parts {
            if c.is_zero() {
                continue;
            }
            let cv = c * s.value;
            value += cv;
            if s.is_constant {
                constant += cv;
            } else if s.symbolic {
                constant += c * s.constant;
                terms.extend(s.terms.iter().map(|(v, k)| (*v, c * k)));
            }
            is_constant &= s.is_constant;
            symbolic |= s.symbolic;
        }
        Sig {
            value,
            terms: merge(terms),
            constant,
            is_constant,
            symbolic,
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Sig) -> Sig {
        Sig::lincomb([(Fr::one(), self), (Fr::one(), other)])
    }

    /// `self - other`.
    pub fn sub(&self, other: &Sig) -> Sig {
        Sig::lincomb([(Fr::one(), self), (-Fr::one(), other)])
    }

    /// `c * self`.
    pub fn scale(&self, c: Fr) -> Sig {
        Sig::lincomb([(c, self)])
    }

    /// `self + c`.
    pub fn add_constant(&self, c: Fr) -> Sig {
        let mut out = self.clone();
        out.value += c;
        out.constant += c;
        out
    }

    fn to_lc(&self) -> LinearCombination<Fr> {
        let mut lc: Vec<(Fr, Variable)> = self.terms.iter().map(|(v, c)| (*c, *v)).collect();
        if !self.constant.is_zero() {
            lc.push((self.constant, Variable::One));
        }
        LinearCombination(lc)
    }
}

fn merge(mut terms: Vec<(Variable, Fr)>) -> Vec<(Variable, Fr)> {
    if terms.len() < 2 {
        terms.retain(|(_, c)| !c.is_zero());
        return terms;
    }
    terms.sort_unstable_by_key(|(v, _)| *v);
    let mut out: Vec<(Variable, Fr)> = Vec::with_capacity(terms.len());
    for (v, c) in terms {
        match out.last_mut() {
            Some((last, acc)) if *last == v => *acc += c,
            _ => out.push((v, c)),
        }
    }
    out.retain(|(_, c)| !c.is_zero());
    out
}

/// Builds a circuit on one of the two back ends (see the module docs).
pub struct Builder {
    cs: Option<ConstraintSystemRef<Fr>>,
    inputs: Vec<Fr>,
    witness: Vec<Fr>,
    /// Witness-only: every constraint's `a` and `b` values, in order.
    evaluations: (Vec<Fr>, Vec<Fr>),
    unsatisfied: Option<&'static str>,
}

/// What a circuit's witness-only run records: the full assignment `z` and, per
/// constraint in order, the values of its `A z` and `B z` rows (which the prover's
/// quotient needs, so it never evaluates the matrices).
#[derive(Clone, Debug)]
pub struct Witness {
    /// `[1, inputs.., witnesses..]`.
    pub assignment: Vec<Fr>,
    /// `A z`, one value per constraint.
    pub a: Vec<Fr>,
    /// `B z`, one value per constraint.
    pub b: Vec<Fr>,
}

impl Builder {
    /// Builds into an arkworks constraint system.
    pub fn constraints(cs: ConstraintSystemRef<Fr>) -> Self {
        Self {
            cs: Some(cs),
            inputs: Vec::new(),
            witness: Vec::new(),
            evaluations: (Vec::new(), Vec::new()),
            unsatisfied: None,
        }
    }

    /// Records only the assignment.
    pub fn witness_only() -> Self {
        Self {
            cs: None,
            inputs: Vec::new(),
            witness: Vec::new(),
            evaluations: (Vec::new(), Vec::new()),
            unsatisfied: None,
        }
    }

    /// A public input.
    pub fn input(&mut self, value: Fr) -> Result<Sig, SynthesisError> {
        self.inputs.push(value);
        let var = match &self.cs {
            Some(cs) => Some(cs.new_input_variable(|| Ok(value))?),
            None => None,
        };
        Ok(Sig::var(value, var))
    }

    /// A private witness.
    pub fn witness(&mut self, value: Fr) -> Result<Sig, SynthesisError> {
        self.witness.push(value);
        let var = match &self.cs {
            Some(cs) => Some(cs.new_witness_variable(|| Ok(value))?),
            None => None,
        };
        Ok(Sig::var(value, var))
    }

    /// `a * b`: one variable and one constraint, unless either side is a constant.
    pub fn mul(&mut self, a: &Sig, b: &Sig) -> Result<Sig, SynthesisError> {
        if a.is_constant {
            return Ok(b.scale(a.value));
        }
        if b.is_constant {
            return Ok(a.scale(b.value));
        }
        let out = self.witness(a.value * b.value)?;
        self.enforce(a, b, &out, "product")?;
        Ok(out)
    }

    /// Enforces `a * b == c`; `what` names the relation when a witness violates it.
    pub fn enforce(
        &mut self,
        a: &Sig,
        b: &Sig,
        c: &Sig,
        what: &'static str,
    ) -> Result<(), SynthesisError> {
        match &self.cs {
            Some(cs) => cs.enforce_r1cs_constraint(|| a.to_lc(), || b.to_lc(), || c.to_lc()),
            None if a.value * b.value == c.value => {
                self.evaluations.0.push(a.value);
                self.evaluations.1.push(b.value);
                Ok(())
            }
            None => {
                self.unsatisfied.get_or_insert(what);
                Err(SynthesisError::Unsatisfiable)
            }
        }
    }

    /// Enforces `a == b` (one constraint); `what` names the relation.
    pub fn enforce_equal(
        &mut self,
        a: &Sig,
        b: &Sig,
        what: &'static str,
    ) -> Result<(), SynthesisError> {
        self.enforce(&a.sub(b), &Sig::constant(Fr::one()), &Sig::zero(), what)
    }

    /// One witness variable per value (no constraint).
    pub fn witnesses(&mut self, values: &[Fr]) -> Result<Vec<Sig>, SynthesisError> {
        values.iter().map(|v| self.witness(*v)).collect()
    }

    /// One public input per value, in order (no constraint).
    pub fn inputs(&mut self, values: &[Fr]) -> Result<Vec<Sig>, SynthesisError> {
        values.iter().map(|v| self.input(*v)).collect()
    }

    /// A witness bit: `v` constrained to 0 or 1 (one constraint).
    pub fn boolean(&mut self, v: bool, what: &'static str) -> Result<Sig, SynthesisError> {
        let s = self.witness(Fr::from(u64::from(v)))?;
        self.enforce(&s, &Sig::constant(Fr::one()).sub(&s), &Sig::zero(), what)?;
        Ok(s)
    }

    /// The `n` bits of `x`, least significant first, enforcing `x < 2^n` (`n + 1`
    /// constraints). A value that does not fit fails as `what`.
    pub fn bits(
        &mut self,
        x: &Sig,
        n: usize,
        what: &'static str,
    ) -> Result<Vec<Sig>, SynthesisError> {
        // Below the field's 254 bits, or the decomposition is not unique.
        assert!(n < 253, "bits: {n} bits do not range-check in Fr");
        use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
        let value = x.value().into_bigint();
        let bits = (0..n)
            .map(|i| self.boolean(value.get_bit(i), what))
            .collect::<Result<Vec<_>, _>>()?;
        let mut pow = Fr::one();
        let sum = Sig::lincomb(bits.iter().map(|b| {
            let c = pow;
            pow.double_in_place();
            (c, b)
        }));
        self.enforce_equal(&sum, x, what)?;
        Ok(bits)
    }

    /// On the witness-only back end, the first relation the witness violated.
    pub fn unsatisfied(&self) -> Option<&'static str> {
        self.unsatisfied
    }

    /// The full assignment `[1, inputs.., witnesses..]` (witness-only back end).
    pub fn into_assignment(self) -> Vec<Fr> {
        self.into_witness().assignment
    }

    /// The full assignment and the constraints' evaluations (witness-only back end).
    pub fn into_witness(self) -> Witness {
        let mut assignment = Vec::with_capacity(1 + self.inputs.len() + self.witness.len());
        assignment.push(Fr::one());
        assignment.extend(self.inputs);
        assignment.extend(self.witness);
        let (a, b) = self.evaluations;
        Witness { assignment, a, b }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn cube_plus(b: &mut Builder, x: Fr, y: Fr) -> Result<(), SynthesisError> {
        let y = b.input(y)?;
        let x = b.witness(x)?;
        let x2 = b.mul(&x, &x)?;
        let x3 = b.mul(&x2, &x)?;
        // Constants fold: no constraint for 3 * x or for x3 + 5.
        let three_x = b.mul(&Sig::constant(Fr::from(3u64)), &x)?;
        let lhs = x3.add(&three_x).add_constant(Fr::from(5u64));
        b.enforce_equal(&lhs, &y, "x^3 + 3x + 5 = y")
    }

    #[test]
    fn both_back_ends_agree_and_reject_the_same_statements() {
        let x = Fr::from(3u64);
        let good = Fr::from(27u64 + 9 + 5);
        let cs = ConstraintSystem::<Fr>::new_ref();
        cube_plus(&mut Builder::constraints(cs.clone()), x, good).expect("synthesis");
        assert!(cs.is_satisfied().expect("check"));
        assert_eq!(cs.num_constraints(), 3);

        let mut w = Builder::witness_only();
        cube_plus(&mut w, x, good).expect("witness");
        let assignment = w.into_assignment();
        let cs = cs.borrow().expect("cs");
        let expected = [
            cs.instance_assignment().expect("instance").to_vec(),
            cs.witness_assignment().expect("witness").to_vec(),
        ]
        .concat();
        assert_eq!(assignment, expected);

        let bad = good + Fr::one();
        let cs = ConstraintSystem::<Fr>::new_ref();
        cube_plus(&mut Builder::constraints(cs.clone()), x, bad).expect("synthesis");
        assert!(!cs.is_satisfied().expect("check"));
        let mut w = Builder::witness_only();
        assert!(matches!(
            cube_plus(&mut w, x, bad),
            Err(SynthesisError::Unsatisfiable)
        ));
        assert_eq!(w.unsatisfied(), Some("x^3 + 3x + 5 = y"));
    }

    #[test]
    fn linear_combinations_cancel_and_merge() {
        let mut b = Builder::constraints(ConstraintSystem::<Fr>::new_ref());
        let x = b.witness(Fr::from(4u64)).expect("x");
        let y = b.witness(Fr::from(6u64)).expect("y");
        let s = x.add(&y).sub(&x).scale(Fr::from(2u64));
        assert_eq!(s.value(), Fr::from(12u64));
        assert_eq!(s.terms.len(), 1, "x cancelled");
        assert!(!s.is_constant());
        assert!(Sig::constant(Fr::one()).add(&Sig::zero()).is_constant());
    }
}
