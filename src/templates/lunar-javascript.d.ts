/**
 * lunar-javascript ships no types. Other folders declare the parts they use in their own .d.ts, and
 * declarations of one module merge; so this one adds only LunarUtil, and helpers/lunar.ts describes
 * the calls it makes in a local interface.
 */
declare module 'lunar-javascript' {
  export const LunarUtil: {
    /** Index 1–12: 正 … 腊. */
    MONTH: string[];
    /** Index 1–30: 初一 … 三十. */
    DAY: string[];
  };
}
