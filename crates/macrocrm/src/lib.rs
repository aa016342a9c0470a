//! MacroCRM source for liner-sync.
