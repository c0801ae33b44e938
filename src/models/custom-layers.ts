/**
 * Registers every Whittle custom layer with tfjs serialization, so any saved Whittle model (zoo,
 * stochastic depth, quantised, product-quantised) can be rebuilt from its topology: the model zoo's own
 * layers, then every technique's through the registry (each descriptor module loads its layer classes).
 */
import './layers.js';
import '../techniques/registry.js';
