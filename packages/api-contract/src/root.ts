import { auditLogRouter } from './routers/audit-log.ts';
import { clinicRouter } from './routers/clinic.ts';
import { membershipRouter } from './routers/membership.ts';
import { patientRouter } from './routers/patient.ts';
import { treatmentRouter } from './routers/treatment.ts';
import { treatmentsByClinicRouter } from './routers/treatments-by-clinic.ts';
import { createCallerFactory, createTRPCRouter } from './trpc.ts';

export const appRouter = createTRPCRouter({
  clinic: clinicRouter,
  treatment: treatmentRouter,
  treatmentsByClinic: treatmentsByClinicRouter,
  patient: patientRouter,
  membership: membershipRouter,
  auditLog: auditLogRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(createContext(session)).clinic.list()`. */
export const createCaller = createCallerFactory(appRouter);
