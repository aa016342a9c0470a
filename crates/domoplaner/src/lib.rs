//! Domoplaner source for liner-sync.
