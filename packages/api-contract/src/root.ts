import { clinicRouter } from './routers/clinic.ts';
import { treatmentRouter } from './routers/treatment.ts';
import { treatmentsByClinicRouter } from './routers/treatments-by-clinic.ts';
import { createCallerFactory, createTRPCRouter } from './trpc.ts';

export const appRouter = createTRPCRouter({
  clinic: clinicRouter,
  treatment: treatmentRouter,
  treatmentsByClinic: treatmentsByClinicRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(createContext(session)).clinic.list()`. */
export const createCaller = createCallerFactory(appRouter);
