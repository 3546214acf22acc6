// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "**/node_modules/",
      "producer/dist/",
      ".cache/",
      "bench/results/",
      "**/.venv/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "always"],
    },
  },
  {
    // Layering rule from DESIGN.md: components never import a provider SDK.
    files: ["components/**/*.ts", "contracts/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@pulumi/docker", "@pulumi/docker-build", "@pulumi/kubernetes", "@pulumi/kubernetes/*"],
              message:
                "Components describe; targets (infra/) realize. Import provider SDKs only under infra/.",
            },
            {
              group: ["../infra/*", "../../infra/*"],
              message: "Arrows only point down: components must not import infra.",
            },
          ],
        },
      ],
    },
  },
  prettier,
);
