"""The browser meter: a small scorer the `meter` stage exports as an ES-module bundle."""
