/** Types of scripts/cli-build.mjs (plain JavaScript, loaded by bin/plenum.mjs before anything is built). */
export declare const CLI_OUT_DIR: string;
/** The built entry point when it matches the current sources, else undefined. */
export declare function currentCliBuild(root: string): string | undefined;
/** Bundles the CLI into dist/cli and returns the entry point. */
export declare function buildCli(root: string): Promise<string>;
