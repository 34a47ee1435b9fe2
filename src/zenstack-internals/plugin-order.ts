import type { AnyPlugin } from '@zenstackhq/orm';

/**
 * ZenStack's plugin list from layers given outermost first. Undocumented
 * behaviour of 3.9: each plugin's hook wraps the ones before it in the list,
 * so the *last* plugin runs first (onQuery and onKyselyQuery alike).
 */
export const asZenStackPlugins = (outermostFirst: AnyPlugin[]): AnyPlugin[] => [...outermostFirst].reverse();
