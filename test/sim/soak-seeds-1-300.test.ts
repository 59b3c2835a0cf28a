// Seeds 1..300; soak-seeds-301-600 runs the other half in parallel.
import { soakHalf } from '../helpers/soak-half.js';

soakHalf(1, 300);
