/**
 * Side-effect imports that register every Whittle custom layer with tfjs serialization, so any saved
 * Whittle model (zoo, stochastic depth, quantised, product-quantised) can be rebuilt from its topology.
 */
import './layers.js';
import '../techniques/stochastic-depth/gate.js';
import '../techniques/quant/layers.js';
import '../techniques/pq/layers.js';
import '../techniques/pq/noise-layers.js';
