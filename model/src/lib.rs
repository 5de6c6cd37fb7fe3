//! Executable specifications and oracles (work in progress: see issue "The model").
