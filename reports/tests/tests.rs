mod analysis;
mod overtime;
