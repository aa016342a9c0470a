//! amoCRM (Kommo) source for liner-sync.
