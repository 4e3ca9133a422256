//! reports (being written)
