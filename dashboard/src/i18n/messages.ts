/** A message set typed against its English reference, so a missing translation fails the type check. */
export type MessagesOf<T> = { [K in keyof T]: T[K] extends string ? string : MessagesOf<T[K]> };
