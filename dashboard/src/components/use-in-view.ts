import { type RefObject, useEffect, useLayoutEffect, useState } from 'react';

/**
 * Whether an element is on screen (or about to scroll onto it). One IntersectionObserver for all
 * tiles: a board of a thousand devices renders the values of the few dozen a person can see.
 */
type Callback = (inView: boolean) => void;
const callbacks = new WeakMap<Element, Callback>();
let observer: IntersectionObserver | null = null;

function shared(): IntersectionObserver | null {
  if (typeof IntersectionObserver === 'undefined') return null;
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) callbacks.get(entry.target)?.(entry.isIntersecting);
    },
    // A quarter screen ahead: a tile scrolled to is already drawn, and few off-screen ones are.
    { rootMargin: '25% 0px' },
  );
  return observer;
}

/** The same test the observer makes, for the first render (the observer answers a frame later). */
function nearScreen(el: Element): boolean {
  const rect = el.getBoundingClientRect();
  const margin = window.innerHeight * 0.25;
  return rect.bottom >= -margin && rect.top <= window.innerHeight + margin;
}

export function useInView(ref: RefObject<Element | null>): boolean {
  const [inView, setInView] = useState(false);
  // Before the first paint: what is on screen at load shows its values in the first frame.
  useLayoutEffect(() => {
    if (ref.current && typeof IntersectionObserver !== 'undefined' && nearScreen(ref.current))
      setInView(true);
  }, [ref]);
  useEffect(() => {
    const el = ref.current;
    const io = shared();
    if (!el || !io) {
      setInView(true);
      return;
    }
    callbacks.set(el, setInView);
    io.observe(el);
    return () => {
      io.unobserve(el);
      callbacks.delete(el);
    };
  }, [ref]);
  return inView;
}
