//! Nothing: the models are in tests/ (see docs/verification.md).
