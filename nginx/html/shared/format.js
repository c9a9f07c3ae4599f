// Money and time formatting shared by the pages (SPEC §4: money is integer minor units).

const moneyFormats = new Map();

function moneyFormat(currency) {
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(currency, f);
  }
  return f;
}

/** {amountCents: 1250, currency: 'USD'} -> "$12.50" (JPY has no minor unit: 1250 -> "¥1,250"). */
export function formatMoney(money, fallbackCurrency = 'USD') {
  if (!money || !Number.isFinite(money.amountCents)) return '';
  const currency = money.currency || fallbackCurrency;
  const f = moneyFormat(currency);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(money.amountCents / 10 ** digits);
}

/** Milliseconds -> "0:42", "12:05", "1:02:10". */
export function formatAge(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** RFC 3339 -> local "14:05". */
export function formatClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "tbl_007" -> "Table 007"; anything else is shown as given. */
export function tableLabel(tableId) {
  const m = /^tbl_(.+)$/.exec(tableId || '');
  return m ? `Table ${m[1]}` : String(tableId || '?');
}
