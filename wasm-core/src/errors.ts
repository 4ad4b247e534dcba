// Error codes returned (never thrown) by every input: a trap would kill the instance, and a
// host must be able to reject one bad call while the scheduler keeps running.

export const OK: i32 = 0;
export const UNKNOWN_ID: i32 = -1;
export const UNKNOWN_SCOPE: i32 = -2;
export const UNKNOWN_DOMAIN: i32 = -3;
export const BAD_TIME: i32 = -4;
export const TIME_WENT_BACKWARDS: i32 = -5;
export const BAD_ARGUMENT: i32 = -6;
export const WRONG_STATE: i32 = -7;
export const CAPACITY: i32 = -8;
export const BAD_POLICY: i32 = -9;
