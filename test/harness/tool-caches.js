/**
 * Where the tools that run the tests keep their caches: with the project's dependencies, never in
 * the user's home. Required by both jest configurations before any test file is transformed.
 */
const path = require('node:path');

// @swc/core (through @swc/jest) unpacks its native addon on first load into a cache, by default in
// ~/.cache; node_modules/.cache is the project's own, and goes with node_modules.
process.env.SWC_NATIVE_BINDING_CACHE ||= path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'swc-native');
