// ESLint over the TypeScript and JavaScript sources (the AssemblyScript core has its own
// compiler's checks). The recommended rules of ESLint and typescript-eslint; the few this
// codebase answers differently are set here, each with its reason.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/**", "dist/**", "node_modules/**", "wasm-core/src/**", ".tap/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a binding left unused on purpose (a destructured field left out).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      // `let x; … later x = …` where a closure made in between reads x once it is set.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  // Scripts that run in Node.
  { files: ["**/*.mjs", "scripts/**/*.js", "tests/**/fixtures/*.mjs"], languageOptions: { globals: globals.node } },
  // Scripts that run in a page or a service worker, as classic scripts sharing one global scope.
  {
    files: ["examples/browser/**/*.js", "examples/*.js", "tests/browser/fixtures/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, ...globals.serviceworker, ...globals.worker, ...globals.sharedWorker } },
    rules: { "@typescript-eslint/no-unused-vars": ["error", { vars: "local", argsIgnorePattern: "^_" }] },
  },
);
