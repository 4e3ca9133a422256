mod analysis;
mod facts;
mod invariants;
mod overtime;
