// Seeds 301..600; soak-seeds-1-300 runs the other half in parallel.
import { soakHalf } from '../helpers/soak-half.js';

soakHalf(301, 300);
