import { z } from "zod";

// zod compiles fast object parsers with `new Function` unless told not to, deciding when each schema
// is built; the console's CSP forbids eval, and zod's probe for it is reported as a violation. This
// module is main.tsx's first import, so it runs before any module builds a schema.
z.config({ jitless: true });
