/**
 * Where customers' browsers post HTML forms (application/x-www-form-urlencoded). Only these paths
 * read that encoding: the API takes JSON alone, and a form posted to it stays a 400, not a write.
 * (Twilio's webhooks parse their own form bodies.)
 */
export const PUBLIC_FORM_PATHS = ['/preferences', '/unsubscribe', '/signup'];
