/** Next.ID pagination: 40 items a page, `next = 0` on the last page. */
import { fail } from '../core/index.js';

export const PER_PAGE = 40;

export function pageParam(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) fail('BAD_REQUEST', 'page must be a positive integer');
  return Number(raw);
}

export function pagination(total: number, page: number): { total: number; per: number; current: number; next: number } {
  return { total, per: PER_PAGE, current: page, next: page * PER_PAGE < total ? page + 1 : 0 };
}
