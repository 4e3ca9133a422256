mod analysis;
mod facts;
mod invariants;
mod metrics;
mod overtime;
