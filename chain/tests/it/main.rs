//! The chain client against a real Anvil: the transaction manager under stuck fees and
//! dropped transactions, and the watcher across reorgs.

mod tx_and_watch;
