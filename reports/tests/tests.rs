mod analysis;
mod facts;
mod overtime;
