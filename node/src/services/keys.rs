//! Proving keys of the auxiliary circuits (the data oracle's clerk-sum and finalize),
//! set up or loaded on first use and kept, with their prover tables, for the process.

use arcanum_zk::keys::{CircuitKeys, KeyStore, Keyed};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Keys by circuit name, from a [`KeyStore`].
pub struct KeyCache {
    store: KeyStore,
    loaded: Mutex<HashMap<String, Arc<CircuitKeys>>>,
}

impl KeyCache {
    /// A cache over `store`.
    pub fn new(store: KeyStore) -> Self {
        Self {
            store,
            loaded: Mutex::default(),
        }
    }

    /// `circuit`'s keys, to verify with (blocking: call off the async runtime).
    pub fn keys(&self, circuit: &impl Keyed) -> arcanum_zk::Result<Arc<CircuitKeys>> {
        let name = circuit.key_name();
        if let Some(k) = self.lock().get(&name) {
            return Ok(k.clone());
        }
        let keys = Arc::new(self.store.load_or_setup_circuit(circuit)?);
        Ok(self.lock().entry(name).or_insert(keys).clone())
    }

    /// `circuit`'s keys with their prover tables built, to prove with (blocking).
    pub fn prover(&self, circuit: &impl Keyed) -> arcanum_zk::Result<Arc<CircuitKeys>> {
        let keys = self.keys(circuit)?;
        keys.prover_tables();
        Ok(keys)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<CircuitKeys>>> {
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }
}
