//! Dashboard metrics for the tutoring platform (work in progress).
