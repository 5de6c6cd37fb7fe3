//! The simulated kernel (work in progress: see issue "The simulated kernel").
