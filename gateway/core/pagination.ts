/**
 * How a connector's API pages its lists (the connector file's `pagination`): the style,
 * and where the items, the next cursor and the total sit. A paged result says in its text
 * and in `_meta["lunar-hub/next"]` which arguments fetch the next page; `_pages` asks the
 * hub to follow pages itself (gateway/pipeline/pagination/).
 */
export type PaginationStyle = 'link' | 'cursor' | 'pageToken' | 'offset' | 'page' | 'startAt';

export const PAGINATION_STYLES: readonly PaginationStyle[] = ['link', 'cursor', 'pageToken', 'offset', 'page', 'startAt'];

export interface Pagination {
  style: PaginationStyle;
  /** Dotted path of the items in a JSON body (`data`, `results`); absent: the body is the list. */
  items?: string;
  /** cursor, pageToken: dotted path of the next cursor or token in the body (`meta.next_cursor`). */
  next?: string;
  /**
   * cursor, pageToken, offset, page, startAt: the query parameter that takes it; link: the
   * one whose presence marks a paged operation (absent: page, per_page, limit, cursor...).
   */
  param?: string;
  /** offset, page, startAt: the query parameter of the page size. */
  sizeParam?: string;
  /** offset, startAt: dotted path of the total count in the body. */
  total?: string;
}

/** What each style assumes when the file does not say. */
export const PAGINATION_DEFAULTS: Readonly<Record<PaginationStyle, Readonly<Partial<Pagination>>>> = Object.freeze({
  link: {},
  cursor: { param: 'cursor', next: 'next_cursor' },
  pageToken: { param: 'pageToken', next: 'nextPageToken' },
  offset: { param: 'offset', sizeParam: 'limit' },
  page: { param: 'page', sizeParam: 'per_page' },
  startAt: { param: 'startAt', sizeParam: 'maxResults', total: 'total' },
});

/** The arguments that fetch the next page, merged into the same call's. */
export const META_NEXT = 'lunar-hub/next';
/** The most pages `_pages` follows in one call. */
export const MAX_FOLLOWED_PAGES = 10;
