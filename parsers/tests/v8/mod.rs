//! V8 heap snapshot tests: the committed Node fixtures against memlab's recorded answers
//! (`testdata/node/reference/*.memlab.json`), retention rules and naming on small synthetic
//! snapshots, and malformed input.

mod bad_input;
mod memlab;
mod other_runtimes;
mod synth;
mod versions;
