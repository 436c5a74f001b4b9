/** Registers every CPU kernel (import for its side effect). */
import './conv';
import './linear';
import './norm';
import './activation';
import './pool';
import './loss';
