/**
 * English messages for zod/mini. The Lambdas validate with `zod/mini` (tree-shakable: a bundle
 * carries only the checks it uses, not every locale), which, unlike classic `zod`, ships no locale
 * by default; without this an error would read only "Invalid input". Import for its side effect
 * before any schema parses.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());
