"""The language server: a thin pygls 2.x layer over the engine (diagnostics, code actions, hover)."""
