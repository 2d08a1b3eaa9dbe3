// @ts-check
// Loaded with `async` at the top of the worksheet page: it starts the Python worker as soon as these few
// bytes arrive, instead of after the page, Material's bundle and the worksheet's modules have run. Python
// is the slowest thing the page waits for, so every millisecond before its start counts.
import { python } from "../core/python.mjs";

python();
