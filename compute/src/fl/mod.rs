//! Federated learning (being built).
