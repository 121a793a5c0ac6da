;; One whole raw LZ4 block decoded in WebAssembly, for callers that know the output size (a Borg
;; chunk): the same rules as Lz4BlockDecoder (block-decoder.ts), with 8-byte copies where the
;; streaming decoder copies byte by byte. It only says yes or no: any error, and any output that
;; does not fit, returns -1, and the caller runs the streaming decoder for its exact message.
;; Assembled into block-wasm.ts by tools/build-wasm.mjs (checked by a test).
(module
  (memory (export "memory") 1)

  ;; Decodes input [src, srcEnd) into [dst, dst + cap). Returns the output length, or -1.
  ;; The caller leaves WILD (32) bytes of slack after both regions: copies may run 16 past their end.
  (func (export "decode") (param $src i32) (param $srcEnd i32) (param $dst i32) (param $cap i32) (result i32)
    (local $ip i32) (local $op i32) (local $oend i32) (local $token i32) (local $lit i32) (local $ml i32)
    (local $b i32) (local $offset i32) (local $from i32) (local $end i32) (local $c i32)
    (local $lastMatchStart i32) (local $lastMatchEnd i32) (local $produced i32)
    (local.set $ip (local.get $src))
    (local.set $op (local.get $dst))
    (local.set $oend (i32.add (local.get $dst) (local.get $cap)))
    (local.set $lastMatchStart (i32.const -1))
    (local.set $lastMatchEnd (i32.const -1))
    ;; An empty input is no block (an empty block is the single byte 0x00).
    (if (i32.ge_u (local.get $ip) (local.get $srcEnd)) (then (return (i32.const -1))))
    (loop $sequence
      ;; A sequence starts with a token; input ending here ends the block after a match: invalid.
      (if (i32.ge_u (local.get $ip) (local.get $srcEnd)) (then (return (i32.const -1))))
      (local.set $token (i32.load8_u (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
      (local.set $lit (i32.shr_u (local.get $token) (i32.const 4)))
      ;; Literal length bytes: added while each is 255; stopped early once past the capacity.
      (if (i32.eq (local.get $lit) (i32.const 15))
        (then
          (loop $more
            (if (i32.ge_u (local.get $ip) (local.get $srcEnd)) (then (return (i32.const -1))))
            (local.set $b (i32.load8_u (local.get $ip)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
            (local.set $lit (i32.add (local.get $lit) (local.get $b)))
            (if (i32.gt_u (local.get $lit) (local.get $cap)) (then (return (i32.const -1))))
            (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
      ;; Literals: all in the input, all in the output.
      (if (i32.gt_u (local.get $lit) (i32.sub (local.get $srcEnd) (local.get $ip))) (then (return (i32.const -1))))
      (if (i32.gt_u (local.get $lit) (i32.sub (local.get $oend) (local.get $op))) (then (return (i32.const -1))))
      (if (i32.le_u (local.get $lit) (i32.const 16))
        (then
          ;; Two 8-byte copies (the slack absorbs what runs past).
          (i64.store (local.get $op) (i64.load (local.get $ip)))
          (i64.store offset=8 (local.get $op) (i64.load offset=8 (local.get $ip))))
        (else (memory.copy (local.get $op) (local.get $ip) (local.get $lit))))
      (local.set $ip (i32.add (local.get $ip) (local.get $lit)))
      (local.set $op (i32.add (local.get $op) (local.get $lit)))
      ;; The input ends after literals: the block ends here, if its end keeps the format's rules
      ;; (the last 5 bytes are literals, the last match starts 12 or more before the end).
      (if (i32.eq (local.get $ip) (local.get $srcEnd))
        (then
          (local.set $produced (i32.sub (local.get $op) (local.get $dst)))
          (if (i32.ge_s (local.get $lastMatchStart) (i32.const 0))
            (then
              (if (i32.lt_s (i32.sub (local.get $produced) (local.get $lastMatchEnd)) (i32.const 5)) (then (return (i32.const -1))))
              (if (i32.gt_s (local.get $lastMatchStart) (i32.sub (local.get $produced) (i32.const 12))) (then (return (i32.const -1))))))
          (return (local.get $produced))))
      ;; The offset: two bytes, little-endian, neither 0 nor before the start of the output.
      (if (i32.lt_u (i32.sub (local.get $srcEnd) (local.get $ip)) (i32.const 2)) (then (return (i32.const -1))))
      (local.set $offset (i32.load16_u (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 2)))
      (local.set $produced (i32.sub (local.get $op) (local.get $dst)))
      (if (i32.eqz (local.get $offset)) (then (return (i32.const -1))))
      (if (i32.gt_u (local.get $offset) (local.get $produced)) (then (return (i32.const -1))))
      (local.set $lastMatchStart (local.get $produced))
      ;; Match length: the token's low nibble + 4, then length bytes as for literals.
      (local.set $ml (i32.add (i32.and (local.get $token) (i32.const 15)) (i32.const 4)))
      (if (i32.eq (local.get $ml) (i32.const 19))
        (then
          (loop $more
            (if (i32.ge_u (local.get $ip) (local.get $srcEnd)) (then (return (i32.const -1))))
            (local.set $b (i32.load8_u (local.get $ip)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
            (local.set $ml (i32.add (local.get $ml) (local.get $b)))
            (if (i32.gt_u (local.get $ml) (local.get $cap)) (then (return (i32.const -1))))
            (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
      (if (i32.gt_u (local.get $ml) (i32.sub (local.get $oend) (local.get $op))) (then (return (i32.const -1))))
      (local.set $from (i32.sub (local.get $op) (local.get $offset)))
      (local.set $end (i32.add (local.get $op) (local.get $ml)))
      (if (i32.ge_u (local.get $offset) (i32.const 8))
        (then
          (if (i32.le_u (local.get $ml) (i32.const 24))
            (then
              ;; 8 bytes at a time, forward: each step reads only bytes written before it.
              (i64.store (local.get $op) (i64.load (local.get $from)))
              (i64.store offset=8 (local.get $op) (i64.load offset=8 (local.get $from)))
              (i64.store offset=16 (local.get $op) (i64.load offset=16 (local.get $from))))
            (else
              (if (i32.ge_u (local.get $offset) (local.get $ml))
                (then (memory.copy (local.get $op) (local.get $from) (local.get $ml)))
                (else
                  ;; The match repeats its last `offset` bytes: copies that double, none overlapping.
                  (loop $double
                    (local.set $c (i32.sub (local.get $op) (local.get $from)))
                    (if (i32.gt_u (local.get $c) (i32.sub (local.get $end) (local.get $op)))
                      (then (local.set $c (i32.sub (local.get $end) (local.get $op)))))
                    (memory.copy (local.get $op) (local.get $from) (local.get $c))
                    (local.set $op (i32.add (local.get $op) (local.get $c)))
                    (br_if $double (i32.lt_u (local.get $op) (local.get $end)))))))))
        (else
          ;; A short offset (a run of 1 to 7 repeated bytes): byte by byte for a short match, else doubling copies.
          (if (i32.le_u (local.get $ml) (i32.const 32))
            (then
              (loop $bytes
                (i32.store8 (local.get $op) (i32.load8_u (local.get $from)))
                (local.set $op (i32.add (local.get $op) (i32.const 1)))
                (local.set $from (i32.add (local.get $from) (i32.const 1)))
                (br_if $bytes (i32.lt_u (local.get $op) (local.get $end)))))
            (else
              (loop $double
                (local.set $c (i32.sub (local.get $op) (local.get $from)))
                (if (i32.gt_u (local.get $c) (i32.sub (local.get $end) (local.get $op)))
                  (then (local.set $c (i32.sub (local.get $end) (local.get $op)))))
                (memory.copy (local.get $op) (local.get $from) (local.get $c))
                (local.set $op (i32.add (local.get $op) (local.get $c)))
                (br_if $double (i32.lt_u (local.get $op) (local.get $end))))))))
      (local.set $op (local.get $end))
      (local.set $lastMatchEnd (i32.sub (local.get $op) (local.get $dst)))
      (br $sequence))
    (unreachable)))
