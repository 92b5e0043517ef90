// The library ops that are also Tensor methods (x.softmax(axis), x.argmax(axis), ...): handed to
// src/tensor.ts when this module loads, as src/ops.ts hands over the core ops, so the tensor layer
// imports nothing from the library.

import { bindLibraryOps } from '../tensor.js';
import { argmax, argmin, gather, take } from './indexing.js';
import { logSoftmax, softmax } from './softmax.js';

export const LIBRARY_METHODS = { softmax, logSoftmax, argmax, argmin, take, gather };
export type LibraryOps = typeof LIBRARY_METHODS;

bindLibraryOps(LIBRARY_METHODS);
