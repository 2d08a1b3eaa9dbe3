// What the site uses of zxcvbn-ts (a password-strength estimator that counts the guesses a cracker's
// dictionaries, patterns, dates and keyboard walks need), with its language-common lists (the most common
// passwords among them), bundled with esbuild by site_tools/build.py into vendor/passcode-strength.mjs and
// loaded only when someone sets a passcode. The build checks the bundle's SHA-256.
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

const estimator = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

/** How many guesses an informed guesser needs, at most, to find `passcode`, and whether it is one known
 *  thing whole (a common password or word, a date, a sequence, a repeat or a keyboard walk). */
export function estimate(passcode) {
  const { guesses, sequence } = estimator.check(passcode);
  return { guesses, known: sequence.length === 1 && sequence[0].pattern !== "bruteforce" };
}
