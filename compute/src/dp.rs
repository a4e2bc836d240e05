//! Differential privacy: noise and accounting (being built).
