"""Sanctions and watch lists: official formats in, a versioned store, and in-process matching."""
