#!/usr/bin/env node
// Only starts the program: everything lives in dist/ (compiled from src/).
import { main } from '../dist/cli.js';
main(process.argv).then((code) => { process.exitCode = code; });
