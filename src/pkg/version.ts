/** The engine's version, shown by `berth version`, `/version` and `/_ping`'s Server header. */
export const BERTH_VERSION = '0.1.0';
