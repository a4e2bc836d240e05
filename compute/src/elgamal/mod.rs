//! Threshold exponential ElGamal on BabyJubJub (being built).
