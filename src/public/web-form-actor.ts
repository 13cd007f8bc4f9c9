import type { Actor } from '../auth/actor';

/** The customer acting through a public page: statements and audit rows say "web form". */
export const WEB_FORM_ACTOR: Actor = { keyId: null, label: 'web form', role: 'system' };

/** The consent source of everything a customer changes on a public page. */
export const WEB_FORM_SOURCE = 'web form';
