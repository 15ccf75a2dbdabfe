export type StoreKind = 'sqlite' | 'postgres';

export type StoreConfig =
  | { kind: 'sqlite'; /** File path; ':memory:' for tests. */ file: string }
  | {
      kind: 'postgres';
      /** postgres://user@host:port/db */ url: string;
      /** Schema to use (created if missing); default `public`. Tests use one per run. */ schema?: string;
    };
