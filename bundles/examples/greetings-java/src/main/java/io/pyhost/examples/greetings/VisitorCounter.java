package io.pyhost.examples.greetings;

import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Component;

import io.pyhost.examples.greetings.api.Counter;

/**
 * The {@link Counter} service, exported to Python by its property {@code pyhost.export=true}:
 * without it, {@code pyhost.service} refuses the service ("is not exported to Python").
 */
@Component(property = "pyhost.export=true",
        // immediate: Python holds the service only while its proxy lives, and a delayed component
        // nobody else holds would be ended at each release, starting every count again at 0
        immediate = true)
public final class VisitorCounter implements Counter {
    private final AtomicLong count = new AtomicLong();

    @Override
    public long next() {
        return count.incrementAndGet();
    }

    @Override
    public long add(int n) {
        return count.addAndGet(n);
    }

    @Override
    public long current() {
        return count.get();
    }
}
